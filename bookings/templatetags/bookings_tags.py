from django import template

register = template.Library()


@register.filter
def money(pennies) -> str:
    """Format integer pennies as an amount with two decimals (12345 -> "123.45")."""
    pennies = int(pennies or 0)
    sign = "-" if pennies < 0 else ""
    return f"{sign}{abs(pennies) // 100:,}.{abs(pennies) % 100:02d}"
