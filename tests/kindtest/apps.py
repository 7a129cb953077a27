from django.apps import AppConfig


class KindTestConfig(AppConfig):
    name = "tests.kindtest"
    label = "kindtest"
    verbose_name = "Gadgets (tests only)"

    def ready(self) -> None:
        from tests.kindtest import kinds

        kinds.register()
