"""Stage: person keys and the link tables (PMR, AE_ID, EDUKEY), with their messiness.

    keys = Keys(len(people), rng, compact=False)
    keys.pmr(person_index)                       # the PMR column of an education view
    keys.edukey_codes(person_index, tax_year)    # EDUKEY codes of outcome rows

Rates (config; stated in the data card and checked by tests):
  SECOND_PMR      share of people holding a second PMR, used on some education records
  SECOND_EDUKEY   share holding a second EDUKEY, which carries their outcomes from a switch year
  ORPHAN_PMR      share whose PMRs are missing from learner_ae_id_to_pmr_lookup
  UNMATCHED_CIS   share never matched to DWP CIS: their outcome rows carry EDUKEYs absent
                  from learner_ae_id_to_edukey_lookup
  BLANK_KEY       share of rows in keyed views whose key is '' (as in the real data)

Keys draw from their own random stream, in the order the stages ask for keys: a stage
that asks for keys in another order changes every key drawn after it.
"""

import numpy as np
import pandas as pd

from .config import (
    BLANK_KEY,
    ORPHAN_PMR,
    SECOND_EDUKEY,
    SECOND_EDUKEY_FROM,
    SECOND_PMR,
    SECOND_PMR_USE,
    UNMATCHED_CIS,
)
from .ids import alnum_keys, alnum_keys_by_text, big_ints, sort_order

KEY_BLOCK = 1 << 21  # records per block in edukey_codes (no key depends on it)


class Keys:
    """Person keys for people 0..n_people-1 and helpers that pick the key a record carries.

    Codes: PMR and EDUKEY code i is person i's first key for i < n_people, person
    i - n_people's second key for n_people <= i < 2 n_people, and 2 n_people the blank key ''.

    compact: key columns come as Categoricals whose categories are all the keys (the same
    values; a writer then turns the key strings into what it writes once for all views,
    not once per view).
    """

    def __init__(self, n, rng, compact=False):
        self.n_people = n
        self.compact = compact
        self._dtypes = {}  # key table name -> CategoricalDtype, made when first needed
        self.ae_id = big_ints(rng, n)
        # PMR code i: 0..n-1 first keys, n..2n-1 second keys, 2n the blank key ''
        self.pmr_blank = 2 * n
        self._pmr_table = np.empty(2 * n + 1, dtype=object)
        self._pmr_table[: 2 * n] = alnum_keys(rng, 2 * n, 18)
        self._pmr_table[2 * n] = ""
        self.has_pmr2 = rng.random(n) < SECOND_PMR
        # the EDUKEYs: made in text order (see edukey_table below)
        edk_order, edk_text = alnum_keys_by_text(rng, 2 * n, 14)
        self.has_edukey2 = rng.random(n) < SECOND_EDUKEY
        # the tax year (start) from which the second EDUKEY takes over
        self.edukey2_from = rng.integers(*SECOND_EDUKEY_FROM, n)
        self.orphan_pmr = rng.random(n) < ORPHAN_PMR
        self.unmatched = rng.random(n) < UNMATCHED_CIS
        self._rng = rng
        # EDUKEY code i: 0..n-1 first keys, n..2n-1 second keys, 2n the blank key ''.
        # The outcome views are sorted by EDUKEY, so the key strings are made in text order:
        # reading a sorted view then walks memory in order, which makes every later pass over
        # those columns (checksums, writers, pandas) several times faster at national scale.
        self.edukey_blank = 2 * n
        self.edukey_table = np.empty(2 * n + 1, dtype=object)
        self.edukey_table[edk_order] = edk_text
        self.edukey_table[2 * n] = ""
        del edk_text
        self.edukey1, self.edukey2_all = self.edukey_table[:n], self.edukey_table[n : 2 * n]
        rank = np.empty(2 * n + 1, dtype=np.int64)
        rank[2 * n] = 0  # '' sorts first
        rank[edk_order] = np.arange(1, 2 * n + 1)
        self._edukey_rank = rank

    def pmr(self, pid, share_second=SECOND_PMR_USE):
        """PMR carried by each education record of people `pid` (array)."""
        pid = np.asarray(pid)
        use2 = self.has_pmr2[pid] & (self._rng.random(len(pid)) < share_second)
        code = np.where(use2, pid + self.n_people, pid)
        code[self._rng.random(len(code)) < BLANK_KEY] = self.pmr_blank
        return self._column("pmr", self._pmr_table, code)

    def edukey_column(self, code):
        """The EDUKEYs of `code` (codes into edukey_table) as a view's column."""
        return self._column("edukey", self.edukey_table, code)

    def edukey_dtype(self):
        """The CategoricalDtype of compact EDUKEY columns: categories edukey_table, in order."""
        return self._dtype("edukey", self.edukey_table)

    def _column(self, name, table, code):
        if not self.compact:
            return table[code]
        return pd.Categorical.from_codes(code, dtype=self._dtype(name, table), validate=False)

    def _dtype(self, name, table):
        dtype = self._dtypes.get(name)
        if dtype is None:
            dtype = self._dtypes[name] = pd.CategoricalDtype(table)  # (the keys are unique)
            # pandas checked that with a hash table of every key, which it would keep
            dtype.categories._cleanup()
        return dtype

    def edukey_codes(self, pid, tax_year_start, dtype=np.int64):
        """As `edukey`, as codes into `edukey_table` (the same random draws), a block of
        records at a time (the blank draws are uniform doubles: the same stream)."""
        pid = np.asarray(pid)
        t = np.broadcast_to(np.asarray(tax_year_start), pid.shape)
        code = np.empty(len(pid), dtype=dtype)
        step = KEY_BLOCK
        for a in range(0, len(pid), step):
            p = pid[a : a + step]
            use2 = self.has_edukey2[p] & (t[a : a + step] >= self.edukey2_from[p])
            c = np.where(use2, p + self.n_people, p)
            c[self._rng.random(len(c)) < BLANK_KEY] = self.edukey_blank
            code[a : a + step] = c
        return code

    def forget_pmrs(self):
        """Let the PMR strings go, once every view that carries PMRs is made (memory)."""
        del self._pmr_table
        self._dtypes.pop("pmr", None)

    def edukey(self, pid, tax_year_start):
        """EDUKEY carried by each outcome record (person, tax year start)."""
        return self.edukey_table[self.edukey_codes(pid, tax_year_start)]

    def edukey_rank(self):
        """Rank of each EDUKEY code in text order (the blank key '' first): sorting by it is
        sorting by the key text."""
        return self._edukey_rank

    def pmr_lookup(self):
        keep = ~self.orphan_pmr
        two = keep & self.has_pmr2
        ae = np.concatenate([self.ae_id[keep], self.ae_id[two]])
        person = np.arange(self.n_people)
        code = np.concatenate([person[keep], person[two] + self.n_people])
        order = sort_order(self._pmr_table[code])  # PMRs are unique: as a stable sort by text
        return pd.DataFrame(
            {
                "AE_ID": ae[order],
                "PUPILMATCHINGREFANONYMOUS": self._column("pmr", self._pmr_table, code[order]),
            }
        )

    def edukey_lookup(self):
        keep = ~self.unmatched
        two = keep & self.has_edukey2
        person = np.arange(self.n_people)
        code = np.concatenate([person[keep], person[two] + self.n_people])
        order = np.argsort(self.edukey_rank()[code], kind="stable")
        code = code[order]
        return pd.DataFrame(
            {
                "AE_ID": np.concatenate([self.ae_id[keep], self.ae_id[two]])[order],
                "EDUKEY": self.edukey_column(code),
            }
        )

    def linked_edukey_person(self):
        """Boolean per person: outcomes reachable from education records through the lookups."""
        return ~self.unmatched & ~self.orphan_pmr
