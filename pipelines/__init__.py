"""Pure-Python audio pipelines: numpy in, dataclasses/arrays/files out. Never imports gradio."""
