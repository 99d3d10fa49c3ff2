"""Publishing an edit: what a share card says (`edit.py`: the edit in its sentence, its speaker,
the alt text) and the card itself as a PNG (`card.py`, Pillow with the bundled DejaVu Sans).
May import core/, storage/ and the top modules; the CLI, the web pages and the alert channels
use it."""
