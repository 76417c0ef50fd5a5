"""Assembly of kpibot: settings, the Application and its serving, the command line."""
