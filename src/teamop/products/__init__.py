"""Pure rendering: a product's spec and its context become object bodies and config files. No I/O here."""
