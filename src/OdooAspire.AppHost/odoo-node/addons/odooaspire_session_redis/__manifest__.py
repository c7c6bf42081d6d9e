{
    "name": "OdooAspire Redis session store",
    "summary": "Keeps HTTP sessions in Redis so every node of an OdooAspire cluster sees them",
    "version": "18.0.1.0.0",
    "license": "LGPL-3",
    "depends": ["base", "web"],
    # Loaded server-wide (server_wide_modules), so post_load runs before any server starts or forks.
    "post_load": "post_load",
    "installable": True,
    "auto_install": False,
}
