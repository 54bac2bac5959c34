"""Stage: person keys and the link tables (PMR, AE_ID, EDUKEY), with their messiness.

Rates (stated in the data card and checked by tests):
  SECOND_PMR      share of people holding a second PMR, used on some education records
  SECOND_EDUKEY   share holding a second EDUKEY, which carries their outcomes from a switch year
  ORPHAN_PMR      share whose PMRs are missing from learner_ae_id_to_pmr_lookup
  UNMATCHED_CIS   share never matched to DWP CIS: their outcome rows carry EDUKEYs absent
                  from learner_ae_id_to_edukey_lookup
  BLANK_KEY       share of rows in keyed views whose key is '' (as in the real data)
"""

import numpy as np
import pandas as pd

from .ids import alnum_keys, big_ints

SECOND_PMR = 0.02
SECOND_EDUKEY = 0.015
ORPHAN_PMR = 0.005
UNMATCHED_CIS = 0.03
BLANK_KEY = 0.0005


class Keys:
    """Person keys for people 0..n-1 and helpers that pick the key a record carries."""

    def __init__(self, n, rng):
        self.n = n
        self.ae_id = big_ints(rng, n)
        pmr = alnum_keys(rng, 2 * n, 18)
        self.pmr1, self.pmr2_all = pmr[:n], pmr[n:]
        self.has_pmr2 = rng.random(n) < SECOND_PMR
        edk = alnum_keys(rng, 2 * n, 14)
        self.edukey1, self.edukey2_all = edk[:n], edk[n:]
        self.has_edukey2 = rng.random(n) < SECOND_EDUKEY
        self.edukey2_from = rng.integers(2010, 2019, n)  # tax year start when key 2 takes over
        self.orphan_pmr = rng.random(n) < ORPHAN_PMR
        self.unmatched = rng.random(n) < UNMATCHED_CIS
        self._rng = rng

    def pmr(self, pid, share_second=0.35):
        """PMR carried by each education record of people `pid` (array)."""
        pid = np.asarray(pid)
        use2 = self.has_pmr2[pid] & (self._rng.random(len(pid)) < share_second)
        out = np.where(use2, self.pmr2_all[pid], self.pmr1[pid]).astype(object)
        return self._blank(out)

    def edukey(self, pid, tax_year_start):
        """EDUKEY carried by each outcome record (person, tax year start)."""
        pid = np.asarray(pid)
        use2 = self.has_edukey2[pid] & (np.asarray(tax_year_start) >= self.edukey2_from[pid])
        out = np.where(use2, self.edukey2_all[pid], self.edukey1[pid]).astype(object)
        return self._blank(out)

    def _blank(self, keys):
        blank = self._rng.random(len(keys)) < BLANK_KEY
        keys[blank] = ""
        return keys

    def pmr_lookup(self):
        keep = ~self.orphan_pmr
        two = keep & self.has_pmr2
        df = pd.DataFrame({
            "AE_ID": np.concatenate([self.ae_id[keep], self.ae_id[two]]),
            "PUPILMATCHINGREFANONYMOUS": np.concatenate([self.pmr1[keep], self.pmr2_all[two]]),
        })
        return df.sort_values("PUPILMATCHINGREFANONYMOUS", kind="mergesort").reset_index(drop=True)

    def edukey_lookup(self):
        keep = ~self.unmatched
        two = keep & self.has_edukey2
        df = pd.DataFrame({
            "AE_ID": np.concatenate([self.ae_id[keep], self.ae_id[two]]),
            "EDUKEY": np.concatenate([self.edukey1[keep], self.edukey2_all[two]]),
        })
        return df.sort_values("EDUKEY", kind="mergesort").reset_index(drop=True)

    def linked_edukey_person(self):
        """Boolean per person: outcomes reachable from education records through the lookups."""
        return ~self.unmatched & ~self.orphan_pmr
