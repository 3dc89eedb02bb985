"""Dialogs and editors pushed over the main screen. Each returns a typed result via dismiss."""
