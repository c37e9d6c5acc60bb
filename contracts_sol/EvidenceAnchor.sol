// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";

/**
 * @title EvidenceAnchor
 * @notice Anchors the checkpoints (tree size, root) of one append-only RFC 6962 / RFC 9162 Merkle
 * log and lets anyone check inclusion proofs against them with nothing but an Ethereum node.
 *
 * Every new checkpoint must come with a consistency proof (RFC 9162 §2.1.4.2) from the latest
 * anchored checkpoint; the contract verifies it with the SHA-256 precompile and reverts when the
 * new checkpoint does not extend the old one. The chain itself therefore enforces that the log is
 * append-only: a forked or rewritten history can never be anchored after the original.
 *
 * Hashing is RFC 6962: `leaf = SHA-256(0x00 || entry)`, `node = SHA-256(0x01 || left || right)`.
 *
 * Storage: one slot holds the latest anchored tree size; `rootAt(size)` is a mapping, so
 * `anchor()` writes two slots and `verifyInclusion()` reads one.
 */
contract EvidenceAnchor is AccessControl {
    /// @notice Accounts allowed to anchor checkpoints.
    bytes32 public constant ANCHORER_ROLE = keccak256("ANCHORER_ROLE");

    /// @notice Longest manifest CID accepted, in bytes (a CIDv1 in base32 is about 60).
    uint256 public constant MAX_MANIFEST_LENGTH = 256;

    /// @notice Longest proof the contract will look at: a tree of at most 2**64 - 1 leaves needs
    /// at most 64 hashes for an inclusion proof and 128 for a consistency proof.
    uint256 private constant _MAX_PROOF_LENGTH = 128;

    /// @dev Tree size of the latest anchored checkpoint (0: nothing anchored yet).
    uint64 private _latestSize;

    /// @dev Root hash of every anchored tree size.
    mapping(uint64 treeSize => bytes32 rootHash) private _roots;

    /// @notice A checkpoint `(treeSize, rootHash)` was anchored by `anchorer`.
    event CheckpointAnchored(
        uint64 indexed treeSize, bytes32 rootHash, string manifestCid, address indexed anchorer
    );

    /// @notice The root hash is zero, which is never the root of a tree.
    error EvidenceAnchorZeroRoot();

    /// @notice The new tree size is not larger than the latest anchored one.
    error EvidenceAnchorSizeNotIncreasing(uint64 latestSize, uint64 newSize);

    /// @notice The consistency proof has `given` hashes where the two sizes need `expected`.
    error EvidenceAnchorBadProofLength(uint256 expected, uint256 given);

    /// @notice The new checkpoint does not extend the latest anchored one (a forked history or a
    /// wrong proof).
    error EvidenceAnchorInconsistentCheckpoint(uint64 oldSize, uint64 newSize);

    /// @notice The manifest CID is longer than {MAX_MANIFEST_LENGTH} bytes.
    error EvidenceAnchorManifestTooLong(uint256 length, uint256 maxLength);

    /**
     * @param admin Receives `DEFAULT_ADMIN_ROLE` (grants and revokes anchorers).
     * @param anchorer Receives `ANCHORER_ROLE`; the zero address grants it to nobody.
     */
    constructor(address admin, address anchorer) {
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        if (anchorer != address(0)) {
            _grantRole(ANCHORER_ROLE, anchorer);
        }
    }

    /**
     * @notice Anchors the checkpoint `(treeSize, rootHash)` of the log.
     * @param treeSize Number of leaves of the new checkpoint.
     * @param rootHash RFC 6962 root of the first `treeSize` leaves.
     * @param consistencyProof RFC 9162 §2.1.4.2 proof from the latest anchored checkpoint to this
     * one; empty for the first anchor.
     * @param manifestCid Optional IPFS CID of a manifest describing the checkpoint (may be empty).
     *
     * Requirements:
     *
     * - the caller has `ANCHORER_ROLE`;
     * - `rootHash` is not zero;
     * - `treeSize` is larger than the latest anchored tree size;
     * - `consistencyProof` has exactly the length the two sizes call for, and proves that the
     *   latest anchored tree is a prefix of the new one;
     * - `manifestCid` is at most {MAX_MANIFEST_LENGTH} bytes.
     *
     * Emits a {CheckpointAnchored} event.
     */
    function anchor(
        uint64 treeSize,
        bytes32 rootHash,
        bytes32[] calldata consistencyProof,
        string calldata manifestCid
    ) external onlyRole(ANCHORER_ROLE) {
        if (rootHash == bytes32(0)) revert EvidenceAnchorZeroRoot();
        uint64 oldSize = _latestSize;
        if (treeSize <= oldSize) revert EvidenceAnchorSizeNotIncreasing(oldSize, treeSize);
        if (bytes(manifestCid).length > MAX_MANIFEST_LENGTH) {
            revert EvidenceAnchorManifestTooLong(bytes(manifestCid).length, MAX_MANIFEST_LENGTH);
        }
        if (oldSize == 0) {
            if (consistencyProof.length != 0) {
                revert EvidenceAnchorBadProofLength(0, consistencyProof.length);
            }
        } else {
            _checkConsistency(oldSize, treeSize, _roots[oldSize], rootHash, consistencyProof);
        }
        _latestSize = treeSize;
        _roots[treeSize] = rootHash;
        emit CheckpointAnchored(treeSize, rootHash, manifestCid, msg.sender);
    }

    /**
     * @notice The latest anchored checkpoint; `(0, 0)` before the first anchor.
     *
     * Requirements: none.
     *
     * Emits no event.
     */
    function latestCheckpoint() external view returns (uint64 treeSize, bytes32 rootHash) {
        treeSize = _latestSize;
        rootHash = _roots[treeSize];
    }

    /**
     * @notice The root anchored for `treeSize`; zero if that size was never anchored.
     *
     * Requirements: none.
     *
     * Emits no event.
     */
    function rootAt(uint64 treeSize) external view returns (bytes32 rootHash) {
        return _roots[treeSize];
    }

    /**
     * @notice Whether `proof` shows that `leafHash` is leaf `leafIndex` of the anchored tree of
     * `treeSize` leaves (RFC 9162 §2.1.3.2; the proof is the audit path, bottom-up).
     * @dev Returns false, never reverts, for any well-encoded input: an unanchored size, an index
     * out of range, a proof of the wrong length or one that leads to another root.
     *
     * Requirements: none.
     *
     * Emits no event.
     */
    function verifyInclusion(
        bytes32 leafHash,
        uint64 leafIndex,
        uint64 treeSize,
        bytes32[] calldata proof
    ) external view returns (bool) {
        if (leafIndex >= treeSize || proof.length > _MAX_PROOF_LENGTH) return false;
        bytes32 root = _roots[treeSize];
        if (root == bytes32(0)) return false;
        uint256 index = leafIndex;
        uint256 inner = _bitLength(index ^ (uint256(treeSize) - 1));
        uint256 border = _popCount(index >> inner);
        if (proof.length != inner + border) return false;
        bytes32 h = leafHash;
        for (uint256 i = 0; i < inner; ++i) {
            h = ((index >> i) & 1 == 0) ? _node(h, proof[i]) : _node(proof[i], h);
        }
        for (uint256 i = inner; i < proof.length; ++i) {
            h = _node(proof[i], h);
        }
        return h == root;
    }

    /// @dev Reverts unless `proof` shows the tree `(m, root1)` is a prefix of `(n, root2)`.
    /// Requires `0 < m < n`.
    function _checkConsistency(
        uint64 m,
        uint64 n,
        bytes32 root1,
        bytes32 root2,
        bytes32[] calldata proof
    ) private view {
        (bytes32 h1, bytes32 h2) = _rootsFromConsistencyProof(m, n, root1, proof);
        if (h1 != root1 || h2 != root2) revert EvidenceAnchorInconsistentCheckpoint(m, n);
    }

    /// @dev The old and new roots that a consistency proof from `m` to `n` leads to (RFC 9162
    /// §2.1.4.2, decomposed into an inner and a border part as in transparency-dev/merkle, with
    /// the proof length checked up front). Requires `0 < m < n`.
    function _rootsFromConsistencyProof(
        uint64 m,
        uint64 n,
        bytes32 root1,
        bytes32[] calldata proof
    ) private view returns (bytes32 h1, bytes32 h2) {
        uint256 start; // 0 when m is a power of two: the old root is then the first node
        uint256 end; // proof[start:end] is the inner part, proof[end:] the border
        uint256 mask; // bits of the old tree's last index from the level the proof starts at
        {
            uint256 index = uint256(m) - 1;
            uint256 shift = _trailingZeros(m);
            uint256 inner = _bitLength(index ^ (uint256(n) - 1));
            start = (uint256(m) == 1 << shift) ? 0 : 1;
            end = start + inner - shift;
            uint256 expected = end + _popCount(index >> inner);
            if (proof.length != expected) {
                revert EvidenceAnchorBadProofLength(expected, proof.length);
            }
            mask = index >> shift;
        }
        h1 = start == 0 ? root1 : proof[0];
        h2 = h1;
        for (uint256 i = start; i < end; ++i) {
            bytes32 p = proof[i];
            if (mask & 1 == 1) {
                h1 = _node(p, h1);
                h2 = _node(p, h2);
            } else {
                h2 = _node(h2, p);
            }
            mask >>= 1;
        }
        for (uint256 i = end; i < proof.length; ++i) {
            bytes32 p = proof[i];
            h1 = _node(p, h1);
            h2 = _node(p, h2);
        }
    }

    /// @dev `SHA-256(0x01 || left || right)` through the precompile at address 2, in scratch memory
    /// past the free memory pointer (nothing is allocated).
    function _node(bytes32 left, bytes32 right) private view returns (bytes32 h) {
        assembly ("memory-safe") {
            let p := mload(0x40)
            mstore(p, shl(248, 1))
            mstore(add(p, 1), left)
            mstore(add(p, 33), right)
            if iszero(staticcall(gas(), 2, p, 65, 0x00, 0x20)) { revert(0, 0) }
            h := mload(0x00)
        }
    }

    /// @dev Number of bits needed to write `x` (0 for 0).
    function _bitLength(uint256 x) private pure returns (uint256 n) {
        unchecked {
            while (x != 0) {
                x >>= 1;
                ++n;
            }
        }
    }

    /// @dev Number of set bits of `x`.
    function _popCount(uint256 x) private pure returns (uint256 n) {
        unchecked {
            while (x != 0) {
                x &= x - 1;
                ++n;
            }
        }
    }

    /// @dev Number of trailing zero bits of `x`. Requires `x != 0`.
    function _trailingZeros(uint256 x) private pure returns (uint256 n) {
        unchecked {
            while (x & 1 == 0) {
                x >>= 1;
                ++n;
            }
        }
    }
}
