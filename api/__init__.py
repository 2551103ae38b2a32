"""The REST layer: thin routes over the database projection, commands sent to the case workflow as updates."""
