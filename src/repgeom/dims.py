"""The one vocabulary of dimension and coordinate names, without xarray.

The math (``metrics``, ``dsa``, ``dimensionality``, ``encoding``, ``reduce``) works on plain
arrays and imports neither :mod:`repgeom.store` nor xarray; where it names an axis it uses
these constants. :mod:`repgeom.store` re-exports them for the I/O layer.
"""

STIMULUS = "stimulus"
NEUROID = "neuroid"
COMPONENT = "component"
REPETITION = "repetition"
TIME = "time"
CHANNEL = "channel"
Y = "y"
X = "x"
UNIT = "unit"
MODEL = "model"
LAYER = "layer"
STIMSET = "stimset"
NEURAL = "neural"
SPECTRUM_INDEX = "spectrum_index"
REP = "rep"
REP_A = "rep_a"
REP_B = "rep_b"
SPLIT = "split"
SETTING = "setting"

STIMULUS_ID = "stimulus_id"
CATEGORY = "category"
NEUROID_ID = "neuroid_id"
REGION = "region"
SUBJECT = "subject"
#: A brain (neural dataset) that representations are scored against (inference stores).
BRAIN = "brain"
#: What an inference store's values are (score, ci_low, ..., see repgeom.inference.STATISTICS).
STATISTIC = "statistic"
#: The lower and upper bounds of a noise ceiling.
BOUND = "bound"
#: The delay settings and DMD rank of a DSA sweep (its store's leading dims).
N_DELAYS = "n_delays"
DELAY_INTERVAL = "delay_interval"
RANK = "rank"
