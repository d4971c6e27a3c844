"""Pages of training under /training/ (issue #14 part 5); each module owns its ``urlpatterns``."""
