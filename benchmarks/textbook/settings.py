"""The product's settings plus the textbook reference app, for benchmark servers only: the
reference's tables and URL never exist in the product."""

from config.settings import *  # noqa: F403
from config.settings import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "benchmarks.textbook"]
ROOT_URLCONF = "benchmarks.textbook.urls"
