"""Discord: slash commands, buttons and embeds on discord.py (render, slash, adapter)."""
