"""The business's actions on its request page: accept, decline, withdraw, rate (issue 5)."""
