from leadforge.cli import main

raise SystemExit(main())
