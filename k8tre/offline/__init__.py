"""Offline checks of what the program renders, against pinned upstream schemas."""
