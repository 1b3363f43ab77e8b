"""Audio editions of written guides, without database or web layer.

text.py (Markdown → sections) and french.py (words to say) → engines.py (espeak-ng, Piper)
→ cache.py (section audio by content hash) → assemble.py (one WAV, chapters) → transcript.py
(timed cues, plain text); edition.py chains them for the worker task.
"""
