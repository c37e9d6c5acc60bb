"""Documents rendered for people: the evidence certificate (PDF with a QR code)."""
