"""综合服务管理系统 (issue #14): rollups of the centers' events, statistics, appraisal, item
decisions (事项准入) and the acceptance query, read by the management home page."""
