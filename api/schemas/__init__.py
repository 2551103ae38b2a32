"""Request and response bodies: inputs forbid unknown fields; outputs are built from the stored rows."""
