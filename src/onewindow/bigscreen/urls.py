app_name = "bigscreen"

urlpatterns: list[object] = []
