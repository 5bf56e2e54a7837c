"""Command-line interface (typer). Commands format output; the work lives in the library."""
