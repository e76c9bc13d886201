"""Fault tests: real web, worker and cron processes on private services, broken on purpose."""
