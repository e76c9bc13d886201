"""Flask extensions, created unbound and bound in create_app with init_app."""

from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_wtf import CSRFProtect

csrf = CSRFProtect()
login_manager = LoginManager()
# Storage is set from REDIS_URL in create_app; memory fallback keeps pages up when Redis is down.
limiter = Limiter(key_func=get_remote_address, in_memory_fallback_enabled=True)
