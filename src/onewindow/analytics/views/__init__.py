"""Pages of the management system (综合服务管理系统), one module per area with its urlpatterns."""
