"""Service centers (受理服务中心, issue #4): windows, queue tickets, calling, appointments, devices."""
