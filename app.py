"""stylekit's web app: ``python app.py [--host HOST] [--port PORT] [--share]``, then open the printed URL.

The app lives in ``stylekit.app``; this file only starts it (as the ``stylekit-app`` command does).
"""

from stylekit.app.main import main

if __name__ == "__main__":
    main()
