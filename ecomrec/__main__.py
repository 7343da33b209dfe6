from ecomrec.cli import main

raise SystemExit(main())
