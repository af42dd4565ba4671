"""`python -m bot` is `prism-bot`."""

from bot.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
