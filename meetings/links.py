"""Links this app adds to the home page for a signed-in user."""


def home_links(organization, role) -> list[dict]:
    return []
