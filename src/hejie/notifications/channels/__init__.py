"""The real channel adapters (SMS providers, WeChat, email), each a ``Backend`` of
``hejie.notifications.backends``, chosen per channel by ``settings.HEJIE_NOTIFICATION_BACKENDS``."""
