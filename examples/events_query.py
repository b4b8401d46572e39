"""Query the bundled event record from Python: North Korea's ICBM launches and the exercises
that were suspended, with where each fact comes from."""

from detente.events.store import Store

with Store() as store:  # the default store; created with the bundled record on first use
    icbms = store.query(actor="PRK", kind="missile_test", where=["class=ICBM"])
    print(f"{len(icbms)} ICBM launches, {icbms['date'].min():%Y-%m-%d} to "
          f"{icbms['date'].max():%Y-%m-%d}")
    print(icbms.groupby(icbms["date"].dt.year).size().to_string())

    print("\nsuspended or postponed US-ROK exercises:")
    for event in store.events(kind="military_exercise", where=["status=suspended,postponed"]):
        print(f"  {event.date} {event.attrs.get('name')}: {event.attrs['status']} "
              f"(announced {event.attrs.get('announced')}; source {event.source})")

    stats = store.stats()["kind"]
    print("\nevents by kind:\n" + stats.to_string(index=False))
