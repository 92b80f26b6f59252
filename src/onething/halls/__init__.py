"""大厅与窗口: queue services, window sessions, the fair queue, appointments and window figures."""
