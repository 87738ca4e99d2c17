"""The engine's services, one per kind of work, each working through one unit of work (see unit.py).

    reception   receive a dossier; desk notices (supplement, refusal) when nothing is received
    steps       claim, unclaim, reassign, complete
    lifecycle   apology, withdrawal, result collection, printed papers, register
    deadlines   due times recomputed after a calendar change
    timers      due timer events fired by the worker
    reads       inbox, step forms, dossiers, public look-up
    deployment  publishing diagrams, procedures
    progress    what every writer of a workflow shares: load, run, sync steps/timers/status, save
"""
