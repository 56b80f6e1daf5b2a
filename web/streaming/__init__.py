"""Live updates: the process-wide listener on Redis's event channel (`hub`), the Mastodon
streaming API (`mastodon`: WebSocket and Server-Sent Events) and the pages' one
Server-Sent Events connection per tab (`pages`)."""
