"""Portal pages of the guides app."""

app_name = "guides"

urlpatterns: list = []
