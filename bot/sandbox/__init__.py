"""The offline sandbox: the local Bot API server, the stage and chat users, the shell, the demo."""
