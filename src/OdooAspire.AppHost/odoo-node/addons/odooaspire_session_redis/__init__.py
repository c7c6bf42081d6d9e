def post_load():
    # Imported here, not at module level: the store's unit tests import this package without Odoo.
    from .session_store import install

    install()
