"""Elastic staffing (弹性调配, issue #15): the demand model of each center's half-hour slots, the
windows each slot needs (Erlang C, simulation for shared windows), rosters with shifts, breaks,
leave and part-time, the proof by simulation, live advice during the day and weekly reports."""
