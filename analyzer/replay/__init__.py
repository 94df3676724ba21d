"""mini-Nova: Nova's services in one process, replaying operations and writing Nova's logs.

``replay`` imports ``vocab`` and nothing else of novatrace: it writes logs, never reads them.
"""

from analyzer.replay.logs import STYLES
from analyzer.replay.service import DEFAULT_IMAGE_ID, MiniNova

__all__ = ["DEFAULT_IMAGE_ID", "STYLES", "MiniNova"]
