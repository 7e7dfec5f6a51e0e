"""Foundation every part shares: the clock, the config, the application context, i18n, logging."""
