"""Pure feed builders (podcast RSS, iCalendar, OPML, transcripts): plain data in, bytes out."""
