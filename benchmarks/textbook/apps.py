from django.apps import AppConfig


class TextbookConfig(AppConfig):
    name = "benchmarks.textbook"
    label = "textbook"
    verbose_name = "Benchmark reference: the textbook check-in"
