"""Running Sunlight: the uvicorn supervisor, child server processes, and the demo."""
