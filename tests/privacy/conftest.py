from tests.opinions.conftest import make_opinion  # noqa: F401  (fixture)
