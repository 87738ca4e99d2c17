"""Fault tests: real server processes on PostgreSQL, killed and restarted while clients work."""
