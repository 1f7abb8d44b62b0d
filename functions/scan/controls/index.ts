/**
 * Registry of implemented controls (one module per control). Generated list; keep it sorted.
 */
import type { ControlDefinition } from '../engine/types.js';
import c0001 from './c0001.js';
import c0002 from './c0002.js';
import c0004 from './c0004.js';
import c0005 from './c0005.js';
import c0007 from './c0007.js';
import c0009 from './c0009.js';
import c0012 from './c0012.js';
import c0013 from './c0013.js';
import c0014 from './c0014.js';
import c0015 from './c0015.js';
import c0016 from './c0016.js';
import c0017 from './c0017.js';
import c0018 from './c0018.js';
import c0020 from './c0020.js';
import c0021 from './c0021.js';
import c0026 from './c0026.js';
import c0030 from './c0030.js';
import c0031 from './c0031.js';
import c0034 from './c0034.js';
import c0035 from './c0035.js';
import c0036 from './c0036.js';
import c0037 from './c0037.js';
import c0038 from './c0038.js';
import c0039 from './c0039.js';
import c0041 from './c0041.js';
import c0042 from './c0042.js';
import c0044 from './c0044.js';
import c0045 from './c0045.js';
import c0046 from './c0046.js';
import c0048 from './c0048.js';
import c0049 from './c0049.js';
import c0050 from './c0050.js';
import c0053 from './c0053.js';
import c0054 from './c0054.js';
import c0055 from './c0055.js';
import c0056 from './c0056.js';
import c0057 from './c0057.js';
import c0058 from './c0058.js';
import c0059 from './c0059.js';
import c0061 from './c0061.js';
import c0062 from './c0062.js';
import c0063 from './c0063.js';
import c0065 from './c0065.js';
import c0066 from './c0066.js';
import c0067 from './c0067.js';
import c0068 from './c0068.js';
import c0069 from './c0069.js';
import c0070 from './c0070.js';
import c0073 from './c0073.js';
import c0074 from './c0074.js';
import c0075 from './c0075.js';
import c0076 from './c0076.js';
import c0077 from './c0077.js';
import c0078 from './c0078.js';
import c0079 from './c0079.js';
import c0081 from './c0081.js';
import c0083 from './c0083.js';
import c0084 from './c0084.js';
import c0085 from './c0085.js';
import c0087 from './c0087.js';
import c0088 from './c0088.js';
import c0090 from './c0090.js';
import c0091 from './c0091.js';
import c0092 from './c0092.js';
import c0093 from './c0093.js';
import c0094 from './c0094.js';
import c0095 from './c0095.js';
import c0096 from './c0096.js';
import c0097 from './c0097.js';
import c0098 from './c0098.js';
import c0099 from './c0099.js';
import c0100 from './c0100.js';
import c0101 from './c0101.js';
import c0102 from './c0102.js';
import c0103 from './c0103.js';
import c0104 from './c0104.js';
import c0105 from './c0105.js';
import c0106 from './c0106.js';
import c0107 from './c0107.js';
import c0108 from './c0108.js';
import c0109 from './c0109.js';
import c0110 from './c0110.js';
import c0111 from './c0111.js';
import c0112 from './c0112.js';
import c0113 from './c0113.js';
import c0114 from './c0114.js';
import c0115 from './c0115.js';
import c0116 from './c0116.js';
import c0117 from './c0117.js';
import c0118 from './c0118.js';
import c0119 from './c0119.js';
import c0120 from './c0120.js';
import c0121 from './c0121.js';
import c0122 from './c0122.js';
import c0123 from './c0123.js';
import c0124 from './c0124.js';
import c0125 from './c0125.js';
import c0126 from './c0126.js';
import c0127 from './c0127.js';
import c0128 from './c0128.js';
import c0129 from './c0129.js';
import c0130 from './c0130.js';
import c0131 from './c0131.js';
import c0132 from './c0132.js';
import c0133 from './c0133.js';
import c0134 from './c0134.js';
import c0135 from './c0135.js';
import c0136 from './c0136.js';
import c0137 from './c0137.js';
import c0138 from './c0138.js';
import c0139 from './c0139.js';
import c0140 from './c0140.js';
import c0141 from './c0141.js';
import c0143 from './c0143.js';
import c0144 from './c0144.js';
import c0145 from './c0145.js';
import c0146 from './c0146.js';
import c0147 from './c0147.js';
import c0148 from './c0148.js';
import c0149 from './c0149.js';
import c0150 from './c0150.js';
import c0151 from './c0151.js';
import c0152 from './c0152.js';
import c0153 from './c0153.js';
import c0154 from './c0154.js';
import c0155 from './c0155.js';
import c0156 from './c0156.js';
import c0157 from './c0157.js';
import c0158 from './c0158.js';
import c0159 from './c0159.js';
import c0160 from './c0160.js';
import c0162 from './c0162.js';
import c0163 from './c0163.js';
import c0164 from './c0164.js';
import c0165 from './c0165.js';
import c0166 from './c0166.js';
import c0167 from './c0167.js';
import c0168 from './c0168.js';
import c0169 from './c0169.js';
import c0170 from './c0170.js';
import c0171 from './c0171.js';
import c0172 from './c0172.js';
import c0173 from './c0173.js';
import c0174 from './c0174.js';
import c0175 from './c0175.js';
import c0176 from './c0176.js';
import c0177 from './c0177.js';
import c0178 from './c0178.js';
import c0179 from './c0179.js';
import c0180 from './c0180.js';
import c0181 from './c0181.js';
import c0182 from './c0182.js';
import c0183 from './c0183.js';
import c0184 from './c0184.js';
import c0185 from './c0185.js';
import c0186 from './c0186.js';
import c0187 from './c0187.js';
import c0188 from './c0188.js';
import c0189 from './c0189.js';
import c0190 from './c0190.js';
import c0191 from './c0191.js';
import c0192 from './c0192.js';
import c0193 from './c0193.js';
import c0194 from './c0194.js';
import c0195 from './c0195.js';
import c0196 from './c0196.js';
import c0197 from './c0197.js';
import c0198 from './c0198.js';
import c0199 from './c0199.js';
import c0200 from './c0200.js';
import c0201 from './c0201.js';
import c0202 from './c0202.js';
import c0203 from './c0203.js';
import c0204 from './c0204.js';
import c0205 from './c0205.js';
import c0206 from './c0206.js';
import c0207 from './c0207.js';
import c0209 from './c0209.js';
import c0210 from './c0210.js';
import c0211 from './c0211.js';
import c0212 from './c0212.js';
import c0213 from './c0213.js';
import c0214 from './c0214.js';
import c0215 from './c0215.js';
import c0216 from './c0216.js';
import c0217 from './c0217.js';
import c0218 from './c0218.js';
import c0219 from './c0219.js';
import c0220 from './c0220.js';
import c0225 from './c0225.js';
import c0231 from './c0231.js';
import c0232 from './c0232.js';
import c0234 from './c0234.js';
import c0235 from './c0235.js';
import c0236 from './c0236.js';
import c0237 from './c0237.js';
import c0238 from './c0238.js';
import c0239 from './c0239.js';
import c0245 from './c0245.js';
import c0246 from './c0246.js';
import c0253 from './c0253.js';
import c0255 from './c0255.js';
import c0256 from './c0256.js';
import c0257 from './c0257.js';
import c0258 from './c0258.js';
import c0259 from './c0259.js';
import c0260 from './c0260.js';
import c0261 from './c0261.js';
import c0262 from './c0262.js';
import c0263 from './c0263.js';
import c0264 from './c0264.js';
import c0265 from './c0265.js';
import c0266 from './c0266.js';
import c0267 from './c0267.js';
import c0268 from './c0268.js';
import c0269 from './c0269.js';
import c0270 from './c0270.js';
import c0271 from './c0271.js';
import c0272 from './c0272.js';
import c0273 from './c0273.js';
import c0274 from './c0274.js';
import c0275 from './c0275.js';
import c0276 from './c0276.js';
import c0277 from './c0277.js';
import c0278 from './c0278.js';
import c0279 from './c0279.js';
import c0280 from './c0280.js';
import c0281 from './c0281.js';
import c0282 from './c0282.js';
import c0283 from './c0283.js';
import c0284 from './c0284.js';
import c0286 from './c0286.js';
import c0287 from './c0287.js';
import c0288 from './c0288.js';
import c0289 from './c0289.js';
import c0290 from './c0290.js';
import c0291 from './c0291.js';
import c0292 from './c0292.js';
import c0293 from './c0293.js';
import c0294 from './c0294.js';
import c0295 from './c0295.js';
import c0296 from './c0296.js';
import c0297 from './c0297.js';
import c0298 from './c0298.js';
import c0299 from './c0299.js';
import c0300 from './c0300.js';
import c0301 from './c0301.js';
import c0302 from './c0302.js';
import c0303 from './c0303.js';
import c0304 from './c0304.js';
import c0305 from './c0305.js';
import c0306 from './c0306.js';
import c0307 from './c0307.js';

export const CONTROLS: readonly ControlDefinition[] = [
  c0001,
  c0002,
  c0004,
  c0005,
  c0007,
  c0009,
  c0012,
  c0013,
  c0014,
  c0015,
  c0016,
  c0017,
  c0018,
  c0020,
  c0021,
  c0026,
  c0030,
  c0031,
  c0034,
  c0035,
  c0036,
  c0037,
  c0038,
  c0039,
  c0041,
  c0042,
  c0044,
  c0045,
  c0046,
  c0048,
  c0049,
  c0050,
  c0053,
  c0054,
  c0055,
  c0056,
  c0057,
  c0058,
  c0059,
  c0061,
  c0062,
  c0063,
  c0065,
  c0066,
  c0067,
  c0068,
  c0069,
  c0070,
  c0073,
  c0074,
  c0075,
  c0076,
  c0077,
  c0078,
  c0079,
  c0081,
  c0083,
  c0084,
  c0085,
  c0087,
  c0088,
  c0090,
  c0091,
  c0092,
  c0093,
  c0094,
  c0095,
  c0096,
  c0097,
  c0098,
  c0099,
  c0100,
  c0101,
  c0102,
  c0103,
  c0104,
  c0105,
  c0106,
  c0107,
  c0108,
  c0109,
  c0110,
  c0111,
  c0112,
  c0113,
  c0114,
  c0115,
  c0116,
  c0117,
  c0118,
  c0119,
  c0120,
  c0121,
  c0122,
  c0123,
  c0124,
  c0125,
  c0126,
  c0127,
  c0128,
  c0129,
  c0130,
  c0131,
  c0132,
  c0133,
  c0134,
  c0135,
  c0136,
  c0137,
  c0138,
  c0139,
  c0140,
  c0141,
  c0143,
  c0144,
  c0145,
  c0146,
  c0147,
  c0148,
  c0149,
  c0150,
  c0151,
  c0152,
  c0153,
  c0154,
  c0155,
  c0156,
  c0157,
  c0158,
  c0159,
  c0160,
  c0162,
  c0163,
  c0164,
  c0165,
  c0166,
  c0167,
  c0168,
  c0169,
  c0170,
  c0171,
  c0172,
  c0173,
  c0174,
  c0175,
  c0176,
  c0177,
  c0178,
  c0179,
  c0180,
  c0181,
  c0182,
  c0183,
  c0184,
  c0185,
  c0186,
  c0187,
  c0188,
  c0189,
  c0190,
  c0191,
  c0192,
  c0193,
  c0194,
  c0195,
  c0196,
  c0197,
  c0198,
  c0199,
  c0200,
  c0201,
  c0202,
  c0203,
  c0204,
  c0205,
  c0206,
  c0207,
  c0209,
  c0210,
  c0211,
  c0212,
  c0213,
  c0214,
  c0215,
  c0216,
  c0217,
  c0218,
  c0219,
  c0220,
  c0225,
  c0231,
  c0232,
  c0234,
  c0235,
  c0236,
  c0237,
  c0238,
  c0239,
  c0245,
  c0246,
  c0253,
  c0255,
  c0256,
  c0257,
  c0258,
  c0259,
  c0260,
  c0261,
  c0262,
  c0263,
  c0264,
  c0265,
  c0266,
  c0267,
  c0268,
  c0269,
  c0270,
  c0271,
  c0272,
  c0273,
  c0274,
  c0275,
  c0276,
  c0277,
  c0278,
  c0279,
  c0280,
  c0281,
  c0282,
  c0283,
  c0284,
  c0286,
  c0287,
  c0288,
  c0289,
  c0290,
  c0291,
  c0292,
  c0293,
  c0294,
  c0295,
  c0296,
  c0297,
  c0298,
  c0299,
  c0300,
  c0301,
  c0302,
  c0303,
  c0304,
  c0305,
  c0306,
  c0307,
];

const BY_ID = new Map(CONTROLS.map((c) => [c.id, c]));

export function implementedControl(id: string): ControlDefinition | undefined {
  return BY_ID.get(id);
}
