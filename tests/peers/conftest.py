"""The peer harness's shims are import targets for the peers' tests, not repgeom tests."""

collect_ignore = ["shims"]
