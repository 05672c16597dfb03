"""``python -m cardfeatures_data``: write the demo dataset (see ``cardfeatures_data.demo``)."""

from cardfeatures_data.demo import main

raise SystemExit(main())
