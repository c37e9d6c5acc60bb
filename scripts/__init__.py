"""Project scripts: contract compilation, setup of the real components, the loopback consortium."""
