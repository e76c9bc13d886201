"""Provider lead views: the inbox tabs, one lead, decline and quote (built with issue 5)."""
