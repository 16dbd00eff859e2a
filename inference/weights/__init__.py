"""The bundled demo model's weights (demo.safetensors): package data, not code."""
